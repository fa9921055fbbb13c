"""Built-in plugins; each subpackage is one plugin, declared under [project.entry-points."llie.plugins"]."""
