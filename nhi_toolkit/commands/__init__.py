"""One module per ``nhi`` sub-command; each is imported only when its command runs."""
