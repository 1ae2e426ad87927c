# Expiry is judged exactly as nhi_toolkit/expiry.py judges it:
#   * a date YYYY-MM-DD is valid through that whole day in UTC, so its instant is the next day 00:00Z;
#   * an RFC 3339 timestamp with an offset expires at exactly that instant;
#   * an identity is expired once "now" is at or past its instant.
# nhi_now takes the same two forms, a date there meaning 00:00Z of that day.
# Instants are normalised to UTC and written as format_instant() writes them:
# "YYYY-MM-DDThh:mm:ssZ", with ".ffffff" only when the microseconds are not zero.

locals {
  date_pattern  = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
  stamp_pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\\.[0-9]{1,9})?(Z|([+-])([01][0-9]|2[0-3]):([0-5][0-9]))$"

  # Surrounding spaces are ignored and "t"/"z" read as "T"/"Z", as the checker does.
  raw = {
    for k, v in { expires_at = var.expires_at, nhi_now = var.nhi_now } : k => upper(trimspace(v))
    if v != null
  }

  # A timestamp's parts: date, hh, mm, ss, .fraction, offset, offset sign, offset hh, offset mm.
  stamp = { for k, v in local.raw : k => try(regex(local.stamp_pattern, v), null) }

  # The pieces of each value; null when it is neither form.
  fields = {
    for k, v in local.raw : k => (
      can(regex(local.date_pattern, v)) ? {
        date     = v
        time     = "00:00:00"
        leap     = false
        fraction = "000000"
        shift    = "0s"
        # A date expiry lasts through its day; a date "now" is the start of its day.
        day = k == "expires_at" ? "24h" : "0s"
      }
      : local.stamp[k] == null ? null
      : {
        date = local.stamp[k][0]
        # A leap second (:60) is the first instant of the next minute.
        time = "${local.stamp[k][1]}:${local.stamp[k][2]}:${local.stamp[k][3] == "60" ? "59" : local.stamp[k][3]}"
        leap = local.stamp[k][3] == "60"
        # Sub-second digits are kept to the microsecond and the rest dropped, as Python's datetime does.
        fraction = substr("${trimprefix(coalesce(local.stamp[k][4], "."), ".")}000000", 0, 6)
        # The wall-clock time is read as UTC, then shifted back by the offset.
        shift = local.stamp[k][5] == "Z" ? "0s" : "${local.stamp[k][6] == "+" ? "-" : ""}${local.stamp[k][7]}h${local.stamp[k][8]}m"
        day   = "0s"
      }
    )
  }

  # timeadd() rejects days that do not exist (2026-02-30); year 0 is no date in the checker either.
  seconds = {
    for k, f in local.fields : k => try(
      startswith(f.date, "0000-") ? null : timeadd(timeadd(timeadd("${f.date}T${f.time}Z", f.shift), f.leap ? "1s" : "0s"), f.day),
      null,
    )
  }

  # Each value as a UTC instant, or null when it is not a valid date or timestamp.
  parsed = {
    for k, s in local.seconds : k => (
      s == null ? null
      : local.fields[k].fraction == "000000" ? s
      : "${substr(s, 0, 19)}.${local.fields[k].fraction}Z"
    )
  }

  expires_instant = local.parsed.expires_at
  now_instant     = var.nhi_now == null ? null : local.parsed.nhi_now

  # The declared-expiry switch: with nhi_now set, an identity at or past its expiry is not declared.
  active = local.now_instant == null ? true : timecmp(local.now_instant, local.expires_instant) < 0

  tags = merge(var.extra_tags, {
    owner           = trimspace(var.owner)
    expires_at      = trimspace(var.expires_at)
    purpose         = trimspace(var.purpose)
    approved_by     = var.approved_by == null ? "" : trimspace(var.approved_by)
    integration     = trimspace(var.integration)
    revocation_path = trimspace(var.revocation_path)
  })
}

check "not_expired" {
  assert {
    condition     = timecmp(plantimestamp(), local.expires_instant) < 0
    error_message = "The identity of ${var.integration} owned by ${var.owner} expired at ${local.expires_instant}: retire it (plan with nhi_now set) or extend expires_at with a fresh approval."
  }
}
