// @weft/nas — populated by its issue; see README for the technique table.
export {};
