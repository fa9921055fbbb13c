"""Pictures of model internals for people to look at (segmentation colour maps); numpy only, no torch."""
