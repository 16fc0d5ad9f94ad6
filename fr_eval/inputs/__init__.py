"""Reading inputs: deployment bundles, counts files, policy files and the shared data, each validated on load."""
