# A Bedrock agent's workload role with read access to one bucket, and a Secrets Manager secret for
# a third-party search API key rotated by an existing Lambda function.
#
#   terraform plan                                   # everyday
#   terraform plan -var nhi_now=2027-04-01           # retirement: past expires_at, all is destroyed

terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

variable "nhi_now" {
  description = "Set by the retirement pipeline; leave null otherwise."
  type        = string
  default     = null
}

module "research_agent" {
  source = "../.."

  name        = "research-agent"
  owner       = "team-research@example.com"
  expires_at  = "2027-03-31"
  purpose     = "Bedrock agent that answers questions from the research archive"
  integration = "research-agent"
  approved_by = "security@example.com"
  nhi_now     = var.nhi_now

  trusted_services    = ["bedrock.amazonaws.com"]
  managed_policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]

  api_key_secret = {
    name                = "research-agent/search-api-key"
    rotation_lambda_arn = "arn:aws:lambda:eu-west-1:123456789012:function:rotate-search-api-key"
    rotation_days       = 30
  }
}

output "role_arn" {
  description = "The agent's workload role."
  value       = module.research_agent.role_arn
}
