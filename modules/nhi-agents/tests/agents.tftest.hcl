# The declared-expiry switch across several agents. Every time is pinned, in the year 2999, so the
# not_expired check blocks (which read the plan's clock) pass.

variables {
  integration = "support-bot"
  agents = {
    "date-edge" = {
      owner      = "team-a"
      expires_at = "2999-12-01"
      purpose    = "date expiry, valid through 2999-12-01 UTC"
    }
    "offset" = {
      owner       = "team-b"
      expires_at  = "2999-12-01T10:00:00+02:00"
      purpose     = "expires at 08:00Z"
      integration = "ticket-triage"
    }
    "later" = {
      owner      = "team-c"
      expires_at = "3000-06-30"
      purpose    = "long after every nhi_now below"
      extra_tags = { tier = "gold" }
    }
  }
}

run "all_declared_without_nhi_now" {
  command = plan

  assert {
    condition     = keys(output.active) == ["date-edge", "later", "offset"]
    error_message = "With nhi_now unset every agent is declared."
  }

  assert {
    condition     = length(output.retired) == 0
    error_message = "Nothing is retired without nhi_now."
  }

  assert {
    condition     = output.active["offset"].tags.integration == "ticket-triage" && output.active["later"].tags.integration == "support-bot"
    error_message = "integration comes from the agent, else from var.integration."
  }

  assert {
    condition     = output.active["later"].tags.tier == "gold" && output.active["later"].tags.owner == "team-c"
    error_message = "An agent's extra tags sit beside its lifecycle tags."
  }
}

run "only_the_offset_agent_expired_at_its_instant" {
  command = plan

  variables {
    nhi_now = "2999-12-01T08:00:00Z"
  }

  assert {
    condition     = keys(output.active) == ["date-edge", "later"]
    error_message = "At 08:00Z only the +02:00 agent has expired."
  }

  assert {
    condition     = output.retired == tolist(["offset"])
    error_message = "retired lists exactly the expired agent."
  }
}

run "one_second_before_next_day" {
  command = plan

  variables {
    nhi_now = "2999-12-01T23:59:59Z"
  }

  assert {
    condition     = keys(output.active) == ["date-edge", "later"]
    error_message = "The date agent is valid through 23:59:59Z."
  }
}

run "date_agent_expired_at_next_day_midnight" {
  command = plan

  variables {
    nhi_now = "2999-12-02T00:00:00Z"
  }

  assert {
    condition     = keys(output.active) == ["later"] && output.retired == tolist(["date-edge", "offset"])
    error_message = "At the next day 00:00Z the date agent has expired too."
  }
}
