"""The ground floor: settings and message catalogs. Imports nothing of ours."""
