// One table of event names, read by the unit tests of both the macro crate (the compile-time
// check) and the runtime (the run-time check), so that the two grammars cannot drift apart.
// `(name, None)` is valid; `(name, Some(fragment))` is invalid and its error message contains
// `fragment`.
&[
    ("task.processing", None),
    ("task.created", None),
    ("llm.api_call", None),
    ("a.b", None),
    ("arm.coder.v2", None),
    ("http.request_2xx", None),
    ("task", Some("at least two")),
    ("", Some("at least two")),
    ("task.", Some("empty segment")),
    (".task", Some("empty segment")),
    ("task..processing", Some("empty segment")),
    ("task.Processing", Some("`Processing`")),
    ("task.2nd", Some("`2nd`")),
    ("task.process-ing", Some("`process-ing`")),
    ("task._private", Some("`_private`")),
    ("tâche.process", Some("`tâche`")),
    ("task processing.x", Some("`task processing`")),
    ("task.processing.started", Some("`started`")),
    ("task.completed", Some("`completed`")),
    ("task.failed", Some("`failed`")),
    ("task.panicked", Some("`panicked`")),
    ("task.cancelled", Some("`cancelled`")),
    ("task.slow", Some("`slow`")),
    (
        "a.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        Some("128"),
    ),
]
