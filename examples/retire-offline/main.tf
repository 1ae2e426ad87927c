# A self-contained root configuration for trying nhi retire offline: every identity is a builtin
# terraform_data resource, so no provider has to be downloaded.
#
# Each agent is a principal (terraform_data.agent) with one credential hanging off it
# (terraform_data.agent_key), the same shape as aws_iam_access_key over aws_iam_user.

terraform {
  required_version = ">= 1.5"
}

variable "nhi_now" {
  type        = string
  default     = null
  description = "Retirement switch: when set (RFC 3339 UTC), agents whose expiry is at or before it are no longer declared, so a plan destroys exactly them."
}

locals {
  agents = {
    "support-bot" = {
      owner      = "alice@example.com"
      expires_at = "2026-06-30"
      purpose    = "Answers support tickets"
    }
    "team \"x\" bot" = {
      owner      = "bob@example.com"
      expires_at = "2026-11-15T12:00:00Z"
      purpose    = "Triage for team x"
    }
    "données café" = {
      owner      = "carol@example.com"
      expires_at = "2027-03-31"
      purpose    = "Menu translation"
    }
    "nightly report" = {
      owner      = "dave@example.com"
      expires_at = "2027-01-31T18:00:00+01:00"
      purpose    = "Nightly usage report"
    }
  }

  # The instant each agent expires, judged as nhi check judges it: a date is valid through that
  # whole day in UTC; a timestamp expires at exactly that instant.
  expiry = {
    for k, v in local.agents : k => (
      length(v.expires_at) == 10 ? timeadd("${v.expires_at}T00:00:00Z", "24h") : v.expires_at
    )
  }

  # The agents still declared: all of them, or with nhi_now set only those not yet expired.
  live = {
    for k, v in local.agents : k => v
    if var.nhi_now == null ? true : timecmp(var.nhi_now, local.expiry[k]) < 0
  }
}

resource "terraform_data" "agent" {
  for_each = local.live

  input = {
    kind = "agent"
    name = each.key
    tags = {
      owner      = each.value.owner
      expires_at = each.value.expires_at
      purpose    = each.value.purpose
    }
  }
}

# The key is keyed like its agent and refers to it by [each.key]: it inherits owner and expiry.
resource "terraform_data" "agent_key" {
  for_each = local.live

  input = {
    kind  = "credential"
    agent = terraform_data.agent[each.key].id
  }
}
