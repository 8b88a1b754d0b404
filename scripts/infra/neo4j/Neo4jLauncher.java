// Starts Neo4j Community (embedded) with its Bolt connector, because Neo4j
// publishes no server distribution to Maven Central. Run in single-file source
// mode by scripts/infra/servers/neo4j.ts:
//   java -cp '<neo4j jars>/*' Neo4jLauncher.java <homeDir> <boltHost> <boltPort> <pageCacheMiB>
// Authentication is off: this is a loopback-only development server.

import java.nio.file.Path;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

public class Neo4jLauncher {
  public static void main(String[] args) {
    if (args.length != 4) {
      System.err.println("usage: Neo4jLauncher <homeDir> <boltHost> <boltPort> <pageCacheMiB>");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    String host = args[1];
    int port = Integer.parseInt(args[2]);
    long pageCacheMiB = Long.parseLong(args[3]);

    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
        .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
        .setConfig(GraphDatabaseSettings.auth_enabled, false)
        .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMiB))
        // The machine reaches no network but package registries; usage reports would only fail.
        .setConfig(GraphDatabaseSettings.udc_enabled, false)
        .build();

    // SIGTERM/SIGINT run shutdown hooks: stop Bolt and check-point the store so the next start needs no recovery.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("c360: shutting down Neo4j");
      dbms.shutdown();
    }, "c360-neo4j-shutdown"));

    // Touch the default database so a failure to start it shows here, not at the first client query.
    dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
    System.out.println("c360: Neo4j is ready, Bolt on " + host + ":" + port + " (auth disabled)");
  }
}
