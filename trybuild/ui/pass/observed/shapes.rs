// Every shape compiles: sync, async, methods, generics, impl Trait, unsafe, extern "C".
use octo_instrument::observed;

struct S(u8);

impl S {
    #[observed(event = "ui.pass.method", fields(value = self.0))]
    fn get(&self) -> u8 { self.0 }

    #[observed(event = "ui.pass.async_method")]
    async fn take(self: Box<Self>) -> u8 { self.0 }
}

#[observed(event = "ui.pass.generic", level = "debug", ret)]
fn first<'a, T: std::fmt::Debug>(items: &'a [T]) -> Option<&'a T> where T: Clone { items.first() }

#[observed(event = "ui.pass.impl_trait", buckets = llm, slow_ms = 10)]
fn evens(v: impl IntoIterator<Item = u8>) -> impl Iterator<Item = u8> { v.into_iter().filter(|x| x % 2 == 0) }

#[observed(event = "ui.pass.unsafe")]
unsafe fn unchecked(x: *const u8) -> u8 { unsafe { *x } }

#[observed(event = "ui.pass.extern")]
extern "C" fn c_abi(x: i32) -> i32 { x }

#[observed(event = "ui.pass.shadowing")]
fn shadowing() -> Result<(), String> {
    // The user's names cannot break the generated code.
    #[allow(dead_code)]
    struct Option;
    #[allow(dead_code)]
    type Box = u8;
    Ok(())
}

fn main() {
    let _ = S(1).get();
    let _ = first(&[1]);
    let _ = evens([1, 2]).count();
    let _ = unsafe { unchecked(&raw const *&3u8) };
    let _ = c_abi(1);
    let _ = shadowing();
    let _ = Box::new(S(2)).take();
}
