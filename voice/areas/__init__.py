"""Product areas: the parts of the product that ideas, surveys and teams belong to."""
