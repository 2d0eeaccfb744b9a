"""The grounded parser's parts, split by concern: :mod:`.lexicon` (words, spelling, typos, tokens),
:mod:`.phrases` (noun phrases), :mod:`.clauses` (verb phrases and other clause forms) and
:mod:`.resolution` (world objects, resolving phrases to ids, :class:`~.resolution.Refusal`). The entry
point is :func:`robomatrix.scheduler.understand.interpret`. Core modules: no rclpy."""
