output "active" {
  description = "False once nhi_now is at or past expires_at: nothing of this module is declared then."
  value       = local.active
}

output "tags" {
  description = "The lifecycle tags on every resource."
  value       = local.tags
}

output "expires_instant" {
  description = "When the identities stop being valid, RFC 3339 in UTC."
  value       = module.lifecycle.expires_instant
}

output "role_arn" {
  description = "ARN of the workload role; null when not declared."
  value       = one(aws_iam_role.workload[*].arn)
}

output "role_name" {
  description = "Name of the workload role; null when not declared."
  value       = one(aws_iam_role.workload[*].name)
}

output "api_key_secret_arn" {
  description = "ARN of the API key secret; null when there is none."
  value       = one(aws_secretsmanager_secret.api_key[*].arn)
}

output "static_user_name" {
  description = "Name of the static IAM user; null when there is none."
  value       = one(aws_iam_user.static[*].name)
}

output "static_access_key_id" {
  description = "ID of the static access key; null when there is none."
  value       = one(aws_iam_access_key.static[*].id)
}

output "static_secret_access_key" {
  description = "The static key's secret. Sensitive: it also sits in the state."
  value       = one(aws_iam_access_key.static[*].secret)
  sensitive   = true
}
