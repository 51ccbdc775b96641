"""Operations of the web console that live below the outer ring: they call the chat's
own handlers (see context.py) or, where the chat has none, do the work themselves."""
