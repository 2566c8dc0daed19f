use keel::prelude::*;

#[derive(Actor)]
struct Point;

#[keel::messages]
impl Point {
    #[message]
    fn move_to(&mut self, (x, y): (i32, i32)) {
        let _ = (x, y);
    }
}

fn main() {}
