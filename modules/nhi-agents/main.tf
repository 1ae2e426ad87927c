# Each agent goes through the lifecycle module, so validation, expiry arithmetic, the nhi_now gate
# and the tags are defined once, in ../nhi-lifecycle.
module "agent" {
  source   = "../nhi-lifecycle"
  for_each = var.agents

  owner           = each.value.owner
  expires_at      = each.value.expires_at
  purpose         = each.value.purpose
  integration     = coalesce(each.value.integration, var.integration, each.key)
  approved_by     = each.value.approved_by
  revocation_path = each.value.revocation_path
  extra_tags      = merge(var.extra_tags, each.value.extra_tags)
  nhi_now         = var.nhi_now
}

locals {
  # What a resource of the agent needs. Nothing here depends on the plan's clock, so an agent's
  # resources never change just because time passed.
  declared = {
    for name, agent in var.agents : name => merge(agent, {
      integration     = module.agent[name].tags.integration
      tags            = module.agent[name].tags
      expires_instant = module.agent[name].expires_instant
    })
  }
}
