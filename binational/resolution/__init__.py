"""Entity resolution: suggestions that two agencies' records name one person or thing, judgements, clusters."""
