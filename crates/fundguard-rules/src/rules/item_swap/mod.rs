//! 串换项目 / 串换药品 item swapping: billing something other than what was supplied.

use serde::{Deserialize, Serialize};

use super::Rule;

pub mod disguised_goods;
pub mod inventory;
pub mod peer_share;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub inventory: inventory::Params,
    pub peer_share: peer_share::Params,
    pub disguised_goods: disguised_goods::Params,
}

impl Config {
    pub(crate) fn check(&self) -> Result<(), String> {
        self.peer_share.check()
    }
}

pub(crate) fn rules(c: &Config) -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(inventory::Inventory(c.inventory.clone())),
        Box::new(peer_share::PeerShare(c.peer_share.clone())),
        Box::new(disguised_goods::DisguisedGoods(c.disguised_goods.clone())),
    ]
}
