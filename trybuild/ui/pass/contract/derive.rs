use octo_instrument::{Observable, Redacted};

#[derive(Observable)]
struct Owner {
    #[observe(name = "user.id")]
    id: String,
}

#[derive(Observable)]
struct Task<'a, T, U> {
    #[observe(name = "task.id")]
    id: &'a str,
    value: Option<T>,
    #[observe(skip)]
    raw: U,
    #[observe(flatten)]
    owner: Owner,
    #[observe(redact)]
    password: String,
    session_token: Redacted<String>,
    #[observe(display)]
    addr: std::net::Ipv4Addr,
    #[observe(debug)]
    tags: Vec<&'static str>,
}

#[derive(Observable)]
enum Status {
    Queued,
    Running { worker: u32 },
    Failed(#[observe(name = "reason")] String),
}

#[derive(Observable)]
#[observe(crate = octo_instrument)]
struct Renamed(u8);

struct Opaque;

fn main() {
    let task = Task {
        id: "t",
        value: Some(1.5_f64),
        raw: Opaque,
        owner: Owner { id: "u".into() },
        password: "p".into(),
        session_token: Redacted::new("s".into()),
        addr: std::net::Ipv4Addr::LOCALHOST,
        tags: vec!["a"],
    };
    let _ = (&task.raw, &task.password);
    // task.id, value, owner.user.id, password, session_token, addr, tags (raw is skipped)
    assert_eq!(octo_instrument::contract::fields_of(&task).len(), 7);
    for status in [Status::Queued, Status::Running { worker: 1 }, Status::Failed("x".into())] {
        octo_instrument::record(&status);
    }
    octo_instrument::record(&Renamed(1));
}
