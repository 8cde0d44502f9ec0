// Empty on purpose: the semantic-release adapter is built in its own issue. Nothing here pretends to work.
export {};
