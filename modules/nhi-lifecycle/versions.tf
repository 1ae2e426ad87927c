terraform {
  # check blocks and plantimestamp() arrived in 1.5.
  required_version = ">= 1.5"
}
