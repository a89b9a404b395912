"""What gets reported: measures, breakdowns, monthly reports, importers and rollups."""
