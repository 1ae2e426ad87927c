# One identity through the lifecycle module. terraform_data stands in for the identity so the
# example plans and applies with no provider; a real configuration gates aws_iam_role (or any
# other identity) the same way and passes module.identity.tags as its tags.
#
#   terraform plan                                   # everyday: the identity is declared
#   terraform plan -var nhi_now=2027-04-01           # retirement: past its expiry, it is destroyed

terraform {
  required_version = ">= 1.5"
}

variable "nhi_now" {
  description = "Set by the retirement pipeline; leave null otherwise."
  type        = string
  default     = null
}

module "identity" {
  source = "../.."

  owner       = "team-ml@example.com"
  expires_at  = "2027-03-31"
  purpose     = "Calls the model endpoint for nightly evaluations"
  approved_by = "security@example.com"
  integration = "eval-runner"
  nhi_now     = var.nhi_now
}

resource "terraform_data" "identity" {
  count = module.identity.active ? 1 : 0

  input = {
    name = "eval-runner"
    tags = module.identity.tags
  }
}

output "tags" {
  description = "The tags every resource of the identity carries."
  value       = module.identity.tags
}

output "expires_instant" {
  description = "When the identity stops being valid (UTC)."
  value       = module.identity.expires_instant
}
