"""Drawing what models and priors see, with numpy and Pillow only (no matplotlib), so the CLI and the reports draw
the same colours: class maps (:mod:`.segmentation`), feature-energy strips (:mod:`.features`), text (:mod:`.text`)."""
