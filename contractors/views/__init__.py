"""The contractor pages (mounted at /contractor/, namespace "contractor") and the staff
scorecard of contractor companies. Views are thin: parse, call a service or selector, render."""
