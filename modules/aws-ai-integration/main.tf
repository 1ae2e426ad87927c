# Everything here is declared only while the lifecycle module says the integration is active, and
# carries its tags, so a plan with nhi_now at or past expires_at destroys every identity at once.

module "lifecycle" {
  source = "../nhi-lifecycle"

  owner           = var.owner
  expires_at      = var.expires_at
  purpose         = var.purpose
  integration     = var.integration
  approved_by     = var.approved_by
  revocation_path = "terraform-destroy"
  extra_tags      = var.extra_tags
  nhi_now         = var.nhi_now
}

locals {
  active = module.lifecycle.active
  tags   = module.lifecycle.tags
}

resource "aws_iam_role" "workload" {
  count = local.active ? 1 : 0

  name                 = var.name
  description          = "Workload role of ${var.integration}: ${var.purpose}"
  max_session_duration = var.max_session_duration
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = var.trusted_services }
      Action    = var.trust_actions
    }]
  })

  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "managed" {
  for_each = local.active ? var.managed_policy_arns : toset([])

  role       = aws_iam_role.workload[0].name
  policy_arn = each.value
}

resource "aws_iam_role_policy" "inline" {
  count = local.active && var.inline_policy_json != null ? 1 : 0

  name   = "${var.name}-inline"
  role   = aws_iam_role.workload[0].id
  policy = var.inline_policy_json
}

resource "aws_secretsmanager_secret" "api_key" {
  count = local.active && var.api_key_secret != null ? 1 : 0

  name                    = var.api_key_secret.name
  description             = var.api_key_secret.description
  kms_key_id              = var.api_key_secret.kms_key_id
  recovery_window_in_days = var.api_key_secret.recovery_window_in_days

  tags = local.tags
}

resource "aws_secretsmanager_secret_rotation" "api_key" {
  count = local.active && var.api_key_secret != null ? 1 : 0

  secret_id           = aws_secretsmanager_secret.api_key[0].id
  rotation_lambda_arn = var.api_key_secret.rotation_lambda_arn

  rotation_rules {
    automatically_after_days = var.api_key_secret.rotation_days
  }
}

# Discouraged: static credentials. Kept for integrations that cannot assume a role.
resource "aws_iam_user" "static" {
  count = local.active && var.create_static_user ? 1 : 0

  name                 = "${var.name}-static"
  permissions_boundary = var.permissions_boundary_arn
  # Retirement must not stall on keys or policies added outside Terraform.
  force_destroy = true

  tags = local.tags
}

resource "aws_iam_user_policy_attachment" "static" {
  for_each = local.active && var.create_static_user ? var.managed_policy_arns : toset([])

  user       = aws_iam_user.static[0].name
  policy_arn = each.value
}

# Access keys cannot be tagged: they inherit owner and expiry from the user they belong to.
resource "aws_iam_access_key" "static" {
  count = local.active && var.create_static_user ? 1 : 0

  user = aws_iam_user.static[0].name
}

check "no_static_credentials" {
  assert {
    condition     = !var.create_static_user
    error_message = "${var.integration} has a static IAM access key: its secret sits in the Terraform state and lives until retired. Prefer the workload role."
  }
}
