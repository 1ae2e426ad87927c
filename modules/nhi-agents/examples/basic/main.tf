# Two agents of one integration, declared with terraform_data stand-ins so the example plans with
# no provider. In a real configuration the for_each below drives aws_iam_role, aws_iam_user, etc.
#
#   terraform plan                                   # everyday: every agent declared
#   terraform plan -var nhi_now=2027-03-01T00:00:00Z # retirement: triage is destroyed

terraform {
  required_version = ">= 1.5"
}

variable "nhi_now" {
  description = "Set by the retirement pipeline; leave null otherwise."
  type        = string
  default     = null
}

module "agents" {
  source      = "../.."
  integration = "support-bot"
  nhi_now     = var.nhi_now

  agents = {
    "triage" = {
      owner       = "team-support@example.com"
      expires_at  = "2027-02-28"
      purpose     = "Reads tickets to suggest a queue"
      approved_by = "security@example.com"
    }
    "summariser" = {
      owner       = "team-support@example.com"
      expires_at  = "2027-05-31T18:00:00+02:00"
      purpose     = "Summarises long ticket threads"
      approved_by = "security@example.com"
    }
  }
}

resource "terraform_data" "agent" {
  for_each = module.agents.active

  input = {
    name = each.key
    tags = each.value.tags
  }
}

output "declared" {
  description = "Agents still declared."
  value       = keys(module.agents.active)
}

output "retired" {
  description = "Agents the current nhi_now retires."
  value       = module.agents.retired
}
