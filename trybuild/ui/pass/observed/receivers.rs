// Every `self` receiver, a trait-impl method, and a reference returned from `&mut self`.
use std::pin::Pin;

use octo_instrument::observed;

#[derive(Default)]
struct Counter { value: u32 }

impl Counter {
    #[observed(event = "ui.pass.ref")]
    fn get(&self) -> u32 { self.value }

    #[observed(event = "ui.pass.ref_mut")]
    fn slot(&mut self) -> &mut u32 { &mut self.value }

    #[observed(event = "ui.pass.value")]
    fn into_inner(self) -> u32 { self.value }

    #[observed(event = "ui.pass.mut_value")]
    fn reset(mut self) -> Self { self.value = 0; self }

    #[observed(event = "ui.pass.boxed")]
    fn boxed(self: Box<Self>) -> u32 { self.value }

    #[observed(event = "ui.pass.pinned")]
    fn pinned(self: Pin<&mut Self>) -> u32 { self.get_mut().value }
}

trait Named { fn name(&self) -> String; }

impl Named for Counter {
    #[observed(event = "ui.pass.trait_impl")]
    fn name(&self) -> String { format!("counter {}", self.value) }
}

fn main() {
    let mut counter = Counter::default();
    *counter.slot() += 1;
    let _ = counter.get();
    let _ = counter.name();
    let _ = Pin::new(&mut counter).pinned();
    let _ = Box::new(Counter::default()).boxed();
    let _ = counter.reset().into_inner();
}
