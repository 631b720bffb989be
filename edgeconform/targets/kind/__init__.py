"""The kind target's machinery: tool detection, the cluster's life cycle, and the stand-in containers."""
