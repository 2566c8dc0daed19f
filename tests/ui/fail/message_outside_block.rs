struct Counter;

impl Counter {
    #[keel::message]
    fn add(&mut self) {}
}

fn main() {}
