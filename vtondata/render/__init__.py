"""Pictures for people: masks and skeletons drawn over the person, for reports, notebooks and docs."""
