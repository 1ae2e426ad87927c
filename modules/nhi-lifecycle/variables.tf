variable "owner" {
  description = "Person or team accountable for the identity (e.g. team-ml@example.com)."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.owner)) > 0
    error_message = "owner is required: name the person or team accountable for this identity."
  }
}

variable "expires_at" {
  description = "When the identity stops being valid: YYYY-MM-DD (valid through that day, UTC) or an RFC 3339 timestamp with an offset (that instant)."
  type        = string
  nullable    = false

  validation {
    # The same grammar as local.stamp_pattern in main.tf (a validation may only use its own variable).
    condition = (
      (
        can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", upper(trimspace(var.expires_at))))
        || can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$", upper(trimspace(var.expires_at))))
      )
      && !startswith(trimspace(var.expires_at), "0000-")
      && can(timeadd("${substr(trimspace(var.expires_at), 0, 10)}T00:00:00Z", "0s"))
    )
    error_message = "expires_at must be a real date YYYY-MM-DD or an RFC 3339 timestamp with an offset, e.g. 2026-12-01 or 2026-12-01T17:00:00+02:00."
  }
}

variable "purpose" {
  description = "Why the identity exists, in a few words."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.purpose)) > 0
    error_message = "purpose is required: say in a few words why this identity exists."
  }
}

variable "integration" {
  description = "The AI integration the identity belongs to (e.g. support-bot)."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.integration)) > 0
    error_message = "integration is required: name the AI integration this identity belongs to."
  }
}

variable "approved_by" {
  description = "Who approved the identity. Written as an empty tag when not given."
  type        = string
  default     = null
}

variable "revocation_path" {
  description = "How the identity is revoked, e.g. terraform-destroy."
  type        = string
  default     = "terraform-destroy"
  nullable    = false

  validation {
    condition     = length(trimspace(var.revocation_path)) > 0
    error_message = "revocation_path must not be blank (e.g. terraform-destroy)."
  }
}

variable "extra_tags" {
  description = "Further tags for the identity. They cannot replace the lifecycle tags."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = length(setintersection(keys(var.extra_tags), [
      "owner", "expires_at", "purpose", "approved_by", "integration", "revocation_path",
    ])) == 0
    error_message = "extra_tags cannot set owner, expires_at, purpose, approved_by, integration or revocation_path; use the variables of the same names."
  }
}

variable "nhi_now" {
  description = "Declared-expiry switch. When set (YYYY-MM-DD meaning 00:00 UTC, or RFC 3339), an identity whose expiry is at or before it is no longer declared (active = false), so a plan destroys it. Leave null in everyday use."
  type        = string
  default     = null

  validation {
    condition = var.nhi_now == null || try(
      (
        (
          can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", upper(trimspace(var.nhi_now))))
          || can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$", upper(trimspace(var.nhi_now))))
        )
        && !startswith(trimspace(var.nhi_now), "0000-")
        && can(timeadd("${substr(trimspace(var.nhi_now), 0, 10)}T00:00:00Z", "0s"))
      ),
      false,
    )
    error_message = "nhi_now must be null, a real date YYYY-MM-DD or an RFC 3339 timestamp with an offset."
  }
}
