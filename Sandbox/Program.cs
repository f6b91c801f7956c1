// Placeholder until the host lands; the entry point is documented in README.md.
return 0;
