output "active" {
  description = "The agents still declared, by name: use as for_each for every resource of an agent (each.value.tags carries the lifecycle tags). With nhi_now unset, every agent."
  value       = { for name, agent in local.declared : name => agent if module.agent[name].active }
}

output "retired" {
  description = "Names of the agents left out because nhi_now is at or past their expiry (sorted)."
  value       = sort([for name, m in module.agent : name if !m.active])
}

output "all" {
  description = "Every agent with its tags and expires_instant, plus active and expired_at_plan."
  value = {
    for name, agent in local.declared : name => merge(agent, {
      active          = module.agent[name].active
      expired_at_plan = module.agent[name].expired_at_plan
    })
  }
}

output "expired_at_plan" {
  description = "Names of the agents whose expiry has passed when the plan runs (sorted); each also raises a check warning."
  value       = sort([for name, m in module.agent : name if m.expired_at_plan])
}
