"""Generated media adapters: lifestyle scene images and marketplace videos."""
