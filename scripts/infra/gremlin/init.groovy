// Binds the traversal source `g` that bytecode requests name (traversalSource: 'g').
def globals = [:]
globals << [g : traversal().withEmbedded(graph)]
