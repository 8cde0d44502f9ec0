// Empty on purpose: the changesets adapter is built in its own issue. Nothing here pretends to work.
export {};
