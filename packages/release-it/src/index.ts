// Empty on purpose: the release-it adapter is built in its own issue. Nothing here pretends to work.
export {};
