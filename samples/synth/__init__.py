"""Building blocks of the sample generator: identifiers, formats, world, layouts, renderings."""
