variable "name" {
  description = "Name of the workload role (and prefix of the other resources)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,58}$", var.name))
    error_message = "name must be 1-58 characters of letters, digits and +=,.@_- (IAM names, leaving room for suffixes)."
  }
}

variable "owner" {
  description = "Person or team accountable for the identities (e.g. team-ml@example.com)."
  type        = string
}

variable "expires_at" {
  description = "YYYY-MM-DD (valid through that day, UTC) or an RFC 3339 timestamp with an offset."
  type        = string
}

variable "purpose" {
  description = "Why the integration needs AWS access, in a few words."
  type        = string
}

variable "integration" {
  description = "The AI integration these identities belong to (e.g. support-bot)."
  type        = string
}

variable "approved_by" {
  description = "Who approved the access."
  type        = string
  default     = null
}

variable "extra_tags" {
  description = "Further tags for every resource; they cannot replace the lifecycle tags."
  type        = map(string)
  default     = {}
}

variable "nhi_now" {
  description = "Declared-expiry switch: when set and at or past expires_at, none of this module's resources are declared, so a plan destroys them all. Leave null in everyday use."
  type        = string
  default     = null
}

variable "trusted_services" {
  description = "Service principals allowed to assume the workload role, e.g. [\"bedrock.amazonaws.com\"]."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.trusted_services) > 0 && alltrue([for s in var.trusted_services : can(regex("^[a-z0-9.-]+\\.amazonaws\\.com(\\.cn)?$", s))])
    error_message = "trusted_services must list at least one AWS service principal such as bedrock.amazonaws.com."
  }
}

variable "trust_actions" {
  description = "Actions the trusted services may perform on the role (EKS Pod Identity also needs sts:TagSession)."
  type        = list(string)
  default     = ["sts:AssumeRole"]
  nullable    = false
}

variable "managed_policy_arns" {
  description = "Managed policies attached to the workload role."
  type        = set(string)
  default     = []
  nullable    = false
}

variable "inline_policy_json" {
  description = "An optional inline policy document (JSON) for the workload role."
  type        = string
  default     = null
}

variable "permissions_boundary_arn" {
  description = "Optional permissions boundary for the role and the static user."
  type        = string
  default     = null
}

variable "max_session_duration" {
  description = "Longest session, in seconds, for the workload role (3600-43200)."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "api_key_secret" {
  description = "Optional Secrets Manager secret for a third-party API key. Terraform creates the secret and its rotation, never the value: the rotation function writes it."
  type = object({
    name                    = string
    description             = optional(string, "Third-party API key")
    kms_key_id              = optional(string)
    rotation_lambda_arn     = string
    rotation_days           = optional(number, 30)
    recovery_window_in_days = optional(number, 7)
  })
  default = null

  validation {
    condition     = var.api_key_secret == null || try(var.api_key_secret.rotation_days >= 1 && var.api_key_secret.rotation_days <= 1000, false)
    error_message = "api_key_secret.rotation_days must be between 1 and 1000."
  }
}

variable "create_static_user" {
  description = "Also create an IAM user with an access key. Discouraged: a static key is a long-lived secret that lands in the Terraform state; prefer the role."
  type        = bool
  default     = false
  nullable    = false
}
