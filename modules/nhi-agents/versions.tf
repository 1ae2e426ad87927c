terraform {
  # optional() attributes with defaults arrived in 1.3; the lifecycle module needs 1.5.
  required_version = ">= 1.5"
}
