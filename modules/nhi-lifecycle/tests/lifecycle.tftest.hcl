# Every time here is pinned. Expiries lie in the year 2999 so that the not_expired check block (which
# reads the plan's clock) passes; the runs about that check use dates long past instead.

variables {
  owner       = "team-ml@example.com"
  expires_at  = "2999-12-01"
  purpose     = "Nightly evaluations"
  integration = "eval-runner"
}

run "tags_are_written" {
  command = plan

  variables {
    approved_by = "security@example.com"
    extra_tags  = { cost_centre = "ml-42" }
  }

  assert {
    condition = output.tags == {
      owner           = "team-ml@example.com"
      expires_at      = "2999-12-01"
      purpose         = "Nightly evaluations"
      approved_by     = "security@example.com"
      integration     = "eval-runner"
      revocation_path = "terraform-destroy"
      cost_centre     = "ml-42"
    }
    error_message = "The lifecycle tags are not as expected."
  }
}

run "approved_by_defaults_to_an_empty_tag" {
  command = plan

  assert {
    condition     = output.tags.approved_by == ""
    error_message = "approved_by should be written, empty, when not given."
  }
}

run "active_without_nhi_now" {
  command = plan

  assert {
    condition     = output.active
    error_message = "With nhi_now unset every identity is declared."
  }
}

run "date_lasts_through_its_day" {
  command = plan

  assert {
    condition     = output.expires_instant == "2999-12-02T00:00:00Z"
    error_message = "A date expiry ends at the next day 00:00Z."
  }
}

run "date_expired_at_next_day_midnight" {
  command = plan

  variables {
    nhi_now = "2999-12-02T00:00:00Z"
  }

  assert {
    condition     = !output.active
    error_message = "At exactly the next day 00:00Z the identity is expired."
  }
}

run "date_not_expired_one_second_earlier" {
  command = plan

  variables {
    nhi_now = "2999-12-01T23:59:59Z"
  }

  assert {
    condition     = output.active
    error_message = "One second before the next day 00:00Z the identity is still valid."
  }
}

run "nhi_now_date_means_start_of_day" {
  command = plan

  variables {
    nhi_now = "2999-12-01"
  }

  assert {
    condition     = output.active
    error_message = "nhi_now 2999-12-01 is 00:00Z, before the end of the expiry day."
  }
}

run "nhi_now_next_date_expires" {
  command = plan

  variables {
    nhi_now = "2999-12-02"
  }

  assert {
    condition     = !output.active
    error_message = "nhi_now 2999-12-02 is 00:00Z of the next day: expired."
  }
}

run "offset_expiry_is_its_instant" {
  command = plan

  variables {
    expires_at = "2999-12-01T10:00:00+02:00"
    nhi_now    = "2999-12-01T07:59:59Z"
  }

  assert {
    condition     = output.expires_instant == "2999-12-01T08:00:00Z"
    error_message = "10:00+02:00 is 08:00Z."
  }

  assert {
    condition     = output.active
    error_message = "One second before 08:00Z the identity is still valid."
  }
}

run "offset_expiry_expired_at_its_instant_in_another_offset" {
  command = plan

  variables {
    expires_at = "2999-12-01T10:00:00+02:00"
    nhi_now    = "2999-12-01T03:00:00-05:00"
  }

  assert {
    condition     = !output.active
    error_message = "03:00-05:00 is 08:00Z, the expiry instant: expired."
  }
}

run "fraction_kept_to_the_microsecond" {
  command = plan

  variables {
    expires_at = "2999-12-01t10:00:00.1234569z"
    nhi_now    = "2999-12-01T10:00:00.123456Z"
  }

  assert {
    condition     = output.expires_instant == "2999-12-01T10:00:00.123456Z"
    error_message = "Digits beyond the microsecond are dropped and the instant is written in UTC."
  }

  assert {
    condition     = !output.active
    error_message = "nhi_now equal to the expiry to the microsecond is expired."
  }
}

run "leap_second_is_the_next_minute" {
  command = plan

  variables {
    expires_at = "2998-12-31T23:59:60Z"
  }

  assert {
    condition     = output.expires_instant == "2999-01-01T00:00:00Z"
    error_message = "23:59:60 is the first instant of the next minute."
  }
}

run "expired_at_plan_warns_but_plans" {
  command = plan

  variables {
    expires_at = "2001-01-01"
  }

  assert {
    condition     = output.expired_at_plan
    error_message = "An expiry in 2001 has passed at plan time."
  }

  # The check block reports a warning; naming it here makes the test insist that it fired.
  expect_failures = [check.not_expired]
}

run "blank_owner_rejected" {
  command = plan

  variables {
    owner = "   "
  }

  expect_failures = [var.owner]
}

run "blank_purpose_rejected" {
  command = plan

  variables {
    purpose = ""
  }

  expect_failures = [var.purpose]
}

run "impossible_date_rejected" {
  command = plan

  variables {
    expires_at = "2999-02-30"
  }

  expect_failures = [var.expires_at]
}

run "not_a_date_rejected" {
  command = plan

  variables {
    expires_at = "not-a-date"
  }

  expect_failures = [var.expires_at]
}

run "timestamp_without_offset_rejected" {
  command = plan

  variables {
    expires_at = "2999-12-01T10:00:00"
  }

  expect_failures = [var.expires_at]
}

run "bad_nhi_now_rejected" {
  command = plan

  variables {
    nhi_now = "2999-13-01"
  }

  expect_failures = [var.nhi_now]
}

run "extra_tags_cannot_replace_lifecycle_tags" {
  command = plan

  variables {
    extra_tags = { owner = "someone-else" }
  }

  expect_failures = [var.extra_tags]
}
