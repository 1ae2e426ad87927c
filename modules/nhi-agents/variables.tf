variable "agents" {
  description = "The identities to declare, by name. Each needs owner, expires_at and purpose; integration defaults to var.integration, then to the name."
  type = map(object({
    owner           = string
    expires_at      = string
    purpose         = string
    integration     = optional(string)
    approved_by     = optional(string)
    revocation_path = optional(string, "terraform-destroy")
    extra_tags      = optional(map(string), {})
  }))
  nullable = false
}

variable "integration" {
  description = "Default integration name for agents that do not set their own."
  type        = string
  default     = null
}

variable "extra_tags" {
  description = "Tags added to every agent's tags (an agent's own extra_tags win)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "nhi_now" {
  description = "Declared-expiry switch, passed to every agent: when set, agents whose expiry is at or before it are left out of active, so a plan destroys exactly them. Leave null in everyday use."
  type        = string
  default     = null
}
