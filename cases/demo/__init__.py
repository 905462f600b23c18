"""Demo data for `manage.py load_demo`: the cast, the acceptance stories of DESIGN.md section 7
replayed through the services at their own moments, and bulk volume for benchmarks."""
