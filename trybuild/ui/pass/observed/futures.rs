// Async shapes: `-> impl Future`, a recursive async fn, and both attribute orders with
// `#[async_trait]`.
use std::future::Future;

use octo_instrument::observed;

#[observed(event = "ui.pass.impl_future")]
fn later(n: u8) -> impl Future<Output = Result<u8, String>> + Send {
    async move { if n == 0 { Err("zero".to_owned()) } else { Ok(n) } }
}

#[observed(event = "ui.pass.recursive")]
async fn depth(n: u32) -> u32 {
    if n == 0 { return 0; }
    Box::pin(depth(n - 1)).await + 1
}

#[async_trait::async_trait]
trait Arm { async fn run(&self, task: &str) -> Result<String, std::io::Error>; }

struct Inner;
struct Outer;

#[async_trait::async_trait]
impl Arm for Inner {
    #[observed(event = "ui.pass.async_trait", fields(task = task))]
    async fn run(&self, task: &str) -> Result<String, std::io::Error> { Ok(task.to_owned()) }
}

#[async_trait::async_trait]
impl Arm for Outer {
    #[allow(clippy::unused_async)]
    #[observed(event = "ui.pass.async_trait_outer")]
    async fn run(&self, task: &str) -> Result<String, std::io::Error> {
        let parsed: u8 = task.parse().map_err(std::io::Error::other)?;
        Ok(parsed.to_string())
    }
}

fn assert_send<T: Send>(_: &T) {}

fn main() {
    let future = later(1);
    assert_send(&future);
    let recursive = depth(3);
    assert_send(&recursive);
    let boxed = Inner.run("x");
    assert_send(&boxed);
    drop((future, recursive, boxed, Outer.run("1")));
}
