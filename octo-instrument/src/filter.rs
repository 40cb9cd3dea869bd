//! Which spans and events each of the runtime's layers sees.
//!
//! Spans at `INFO` and above are always created, whatever `LOG_LEVEL` says: they carry the
//! request id and the trace context that a `warn` or `error` line inside them must still show,
//! and they are what the traces are made of. Events and more verbose spans follow `LOG_LEVEL`.

use tracing_core::subscriber::Interest;
use tracing_core::{Level, LevelFilter, Metadata, Subscriber, span};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Filter};

pub(crate) struct Selection {
    env: EnvFilter,
    events: bool,
    /// The directives name spans (`target[span{field=value}]=level`): only then does the
    /// filter need to follow spans as they open, enter, exit and close.
    by_span: bool,
}

impl Selection {
    /// Spans as above; events as `directives` say.
    pub(crate) fn logs(directives: &str) -> Self {
        Self {
            env: parse(directives),
            events: true,
            by_span: directives.contains('['),
        }
    }

    /// Spans as above, no events: what the trace layer records.
    pub(crate) fn spans(directives: &str) -> Self {
        Self {
            env: parse(directives),
            events: false,
            by_span: directives.contains('['),
        }
    }

    fn fixed(&self, metadata: &Metadata<'_>) -> Option<bool> {
        if metadata.is_span() {
            (*metadata.level() <= Level::INFO).then_some(true)
        } else if self.events {
            None
        } else {
            Some(false)
        }
    }
}

fn parse(directives: &str) -> EnvFilter {
    EnvFilter::builder()
        .parse(directives)
        .expect("directives were checked by env::parse_level")
}

impl<S: Subscriber> Filter<S> for Selection {
    fn enabled(&self, metadata: &Metadata<'_>, cx: &Context<'_, S>) -> bool {
        self.fixed(metadata)
            .unwrap_or_else(|| Filter::<S>::enabled(&self.env, metadata, cx))
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        match self.fixed(metadata) {
            Some(true) => Interest::always(),
            Some(false) => Interest::never(),
            None => Filter::<S>::callsite_enabled(&self.env, metadata),
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        let env = Filter::<S>::max_level_hint(&self.env).unwrap_or(LevelFilter::TRACE);
        Some(env.max(LevelFilter::INFO))
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        if self.by_span {
            Filter::<S>::on_new_span(&self.env, attrs, id, ctx);
        }
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        if self.by_span {
            Filter::<S>::on_record(&self.env, id, values, ctx);
        }
    }

    fn on_enter(&self, id: &span::Id, ctx: Context<'_, S>) {
        if self.by_span {
            Filter::<S>::on_enter(&self.env, id, ctx);
        }
    }

    fn on_exit(&self, id: &span::Id, ctx: Context<'_, S>) {
        if self.by_span {
            Filter::<S>::on_exit(&self.env, id, ctx);
        }
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        if self.by_span {
            Filter::<S>::on_close(&self.env, id, ctx);
        }
    }
}

/// The same selection as the subscriber's one global filter (what `init()` installs).
impl<S: Subscriber> tracing_subscriber::Layer<S> for Selection {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        Filter::<S>::callsite_enabled(self, metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>, cx: Context<'_, S>) -> bool {
        Filter::<S>::enabled(self, metadata, &cx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Filter::<S>::max_level_hint(self)
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        Filter::<S>::on_new_span(self, attrs, id, ctx);
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        Filter::<S>::on_record(self, id, values, ctx);
    }

    fn on_enter(&self, id: &span::Id, ctx: Context<'_, S>) {
        Filter::<S>::on_enter(self, id, ctx);
    }

    fn on_exit(&self, id: &span::Id, ctx: Context<'_, S>) {
        Filter::<S>::on_exit(self, id, ctx);
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        Filter::<S>::on_close(self, id, ctx);
    }
}
