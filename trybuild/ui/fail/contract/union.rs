use octo_instrument::Observable;

#[derive(Observable)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {
    octo_instrument::record(&Bits { int: 1 });
}
