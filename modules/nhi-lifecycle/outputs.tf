output "tags" {
  description = "Tags to put on every resource of the identity: owner, expires_at, purpose, approved_by, integration, revocation_path and the extra tags."
  value       = local.tags
}

output "active" {
  description = "False when nhi_now is set and at or past the expiry: declare the identity's resources only while this is true."
  value       = local.active
}

output "expires_instant" {
  description = "The instant the identity stops being valid, RFC 3339 in UTC."
  value       = local.expires_instant
}

output "expired_at_plan" {
  description = "True when the plan runs at or after the expiry (plantimestamp())."
  value       = timecmp(plantimestamp(), local.expires_instant) >= 0
}

output "owner" {
  description = "The owner, as tagged."
  value       = local.tags.owner
}
