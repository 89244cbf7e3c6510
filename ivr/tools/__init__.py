"""Tools for testers and administrators: simulators, scenarios, path coverage, the menu graph, the fallback document."""
