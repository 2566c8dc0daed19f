use keel::prelude::*;

#[derive(Actor)]
struct Counter;

fn main() {}
