"""The schema, as an ordered list of migrations. Append; never edit a released step.

Every filter and sort key the list API offers has an index (``GET /v2/images`` must stay fast
at thousands of images). Timestamps are stored as ISO-8601 strings with microseconds so they
sort as text and keep creation order; they are rendered at second precision like Glance.
"""

MIGRATIONS: list[list[str]] = [
    # 1: identity and images
    [
        """CREATE TABLE projects (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            domain_id TEXT NOT NULL DEFAULT 'default',
            description TEXT NOT NULL DEFAULT '',
            enabled INTEGER NOT NULL DEFAULT 1,
            UNIQUE (domain_id, name)
        )""",
        """CREATE TABLE users (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            domain_id TEXT NOT NULL DEFAULT 'default',
            password_hash TEXT NOT NULL,
            default_project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,
            enabled INTEGER NOT NULL DEFAULT 1,
            UNIQUE (domain_id, name)
        )""",
        """CREATE TABLE role_assignments (
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            PRIMARY KEY (user_id, project_id, role)
        )""",
        """CREATE TABLE tokens (
            id_hash TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            project_id TEXT,
            roles TEXT NOT NULL,
            methods TEXT NOT NULL,
            audit_id TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX idx_tokens_expires ON tokens (expires_at)",
        """CREATE TABLE images (
            id TEXT PRIMARY KEY,
            name TEXT,
            status TEXT NOT NULL,
            visibility TEXT NOT NULL,
            protected INTEGER NOT NULL DEFAULT 0,
            os_hidden INTEGER NOT NULL DEFAULT 0,
            checksum TEXT,
            os_hash_algo TEXT,
            os_hash_value TEXT,
            owner TEXT,
            size INTEGER,
            virtual_size INTEGER,
            container_format TEXT,
            disk_format TEXT,
            min_ram INTEGER NOT NULL DEFAULT 0,
            min_disk INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            deleted_at TEXT
        )""",
        "CREATE INDEX idx_images_owner ON images (owner)",
        "CREATE INDEX idx_images_visibility ON images (deleted, os_hidden, visibility)",
        "CREATE INDEX idx_images_name ON images (name)",
        "CREATE INDEX idx_images_status ON images (status)",
        "CREATE INDEX idx_images_created_at ON images (created_at, id)",
        "CREATE INDEX idx_images_updated_at ON images (updated_at, id)",
        "CREATE INDEX idx_images_size ON images (size)",
        "CREATE INDEX idx_images_disk_format ON images (disk_format)",
        "CREATE INDEX idx_images_container_format ON images (container_format)",
        "CREATE INDEX idx_images_checksum ON images (checksum)",
        "CREATE INDEX idx_images_os_hash_value ON images (os_hash_value)",
        "CREATE INDEX idx_images_protected ON images (protected)",
        """CREATE TABLE image_properties (
            image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (image_id, name)
        )""",
        "CREATE INDEX idx_image_properties_name_value ON image_properties (name, value)",
        """CREATE TABLE image_tags (
            image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
            value TEXT NOT NULL,
            UNIQUE (image_id, value)
        )""",
        "CREATE INDEX idx_image_tags_value ON image_tags (value, image_id)",
        """CREATE TABLE image_members (
            image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
            member TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (image_id, member)
        )""",
        "CREATE INDEX idx_image_members_member ON image_members (member, status, image_id)",
    ],
    # 2: image ids are unique and found regardless of case, as on Glance's MySQL (whose
    # default collation ignores case): two images must never share one data file.
    [
        "CREATE UNIQUE INDEX idx_images_id_nocase ON images (id COLLATE NOCASE)",
    ],
    # 3: folders of image data a reset set aside, noted in the reset's own transaction: if
    # the transaction committed, the folder is garbage; if not (a crash), it holds the live
    # data, which the next start puts back.
    [
        """CREATE TABLE data_set_aside (
            folder TEXT PRIMARY KEY,
            created_at TEXT NOT NULL
        )""",
    ],
    # 4: a property may be null: Glance's schema-image.json types kernel_id and ramdisk_id
    # as ["null", "string"], and Glance keeps the null. SQLite cannot drop a NOT NULL, so
    # the table is made anew.
    [
        """CREATE TABLE image_properties_new (
            image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value TEXT,
            PRIMARY KEY (image_id, name)
        )""",
        "INSERT INTO image_properties_new (rowid, image_id, name, value) "
        "SELECT rowid, image_id, name, value FROM image_properties",
        "DROP TABLE image_properties",
        "ALTER TABLE image_properties_new RENAME TO image_properties",
        "CREATE INDEX idx_image_properties_name_value ON image_properties (name, value)",
    ],
    # 5: idx_images_visibility led with ``deleted``, nearly constant: with no statistics,
    # SQLite took it for any ``deleted = 0`` and walked every live image. Fetching a list
    # page's 25 rows by id cost 28 ms at 100,000 images instead of 0.1 ms. Visibility
    # lists walk (visibility, created_at, id) in the default sort order instead, and the
    # owner's own images (owner, created_at, id): a list is a union of such walks, each
    # stopping at the page size (image_queries.build_select).
    [
        "DROP INDEX idx_images_visibility",
        "CREATE INDEX idx_images_visibility_created ON images (visibility, created_at, id)",
        "DROP INDEX idx_images_owner",
        "CREATE INDEX idx_images_owner_created ON images (owner, created_at, id)",
        # visibility=shared (or private...) from the owner's side: `image list --shared`.
        "CREATE INDEX idx_images_owner_visibility ON images (owner, visibility, created_at, id)",
    ],
]
# 6: metadata definitions (glance/db/sqlalchemy/models_metadef.py): namespaces and what they
# hold. Names are unique per namespace (per catalog for namespaces and resource types), as
# Glance's unique constraints make them; children go with their namespace. Every list sort
# and filter (namespaces by created_at/updated_at/name/visibility/owner, tags by created_at)
# has an index. ``metadef_catalog_loaded`` notes that the built-in catalog went in once, so a
# catalog the user emptied stays empty across restarts. ``updated_at`` may be NULL: rows the
# catalog loader writes have none, as rows ``glance-manage db_load_metadefs`` writes.
MIGRATIONS.append(
    [
        """CREATE TABLE metadef_namespaces (
            id INTEGER PRIMARY KEY,
            namespace TEXT NOT NULL UNIQUE,
            display_name TEXT,
            description TEXT,
            visibility TEXT NOT NULL DEFAULT 'private',
            protected INTEGER NOT NULL DEFAULT 0,
            owner TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT
        )""",
        "CREATE INDEX idx_mdns_created ON metadef_namespaces (created_at, id)",
        "CREATE INDEX idx_mdns_updated ON metadef_namespaces (updated_at, id)",
        "CREATE INDEX idx_mdns_display_name ON metadef_namespaces (display_name, id)",
        "CREATE INDEX idx_mdns_visibility ON metadef_namespaces (visibility, created_at)",
        "CREATE INDEX idx_mdns_owner ON metadef_namespaces (owner, created_at)",
        """CREATE TABLE metadef_resource_types (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            protected INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT
        )""",
        """CREATE TABLE metadef_namespace_resource_types (
            namespace_id INTEGER NOT NULL REFERENCES metadef_namespaces(id) ON DELETE CASCADE,
            resource_type_id INTEGER NOT NULL REFERENCES metadef_resource_types(id),
            prefix TEXT,
            properties_target TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT,
            PRIMARY KEY (namespace_id, resource_type_id)
        )""",
        "CREATE INDEX idx_mdnsrt_type ON metadef_namespace_resource_types (resource_type_id)",
        """CREATE TABLE metadef_objects (
            id INTEGER PRIMARY KEY,
            namespace_id INTEGER NOT NULL REFERENCES metadef_namespaces(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            description TEXT,
            required TEXT,
            json_schema TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT,
            UNIQUE (namespace_id, name)
        )""",
        """CREATE TABLE metadef_properties (
            id INTEGER PRIMARY KEY,
            namespace_id INTEGER NOT NULL REFERENCES metadef_namespaces(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            json_schema TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT,
            UNIQUE (namespace_id, name)
        )""",
        """CREATE TABLE metadef_tags (
            id INTEGER PRIMARY KEY,
            namespace_id INTEGER NOT NULL REFERENCES metadef_namespaces(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT,
            UNIQUE (namespace_id, name)
        )""",
        "CREATE INDEX idx_mdtags_created ON metadef_tags (namespace_id, created_at, id)",
        "CREATE TABLE metadef_catalog_loaded (loaded_at TEXT NOT NULL)",
    ]
)
# 7: the compute slice (emulator/compute): flavors declared by scenarios (the built-in
# and configured ones are not stored) and servers, records with a simulated lifecycle.
# A server keeps what it read of its image at boot (``image_meta``, Nova's image
# system metadata), so it outlives the image's revocation or deletion.
MIGRATIONS.append(
    [
        """CREATE TABLE compute_flavors (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            ram INTEGER NOT NULL,
            disk INTEGER NOT NULL,
            vcpus INTEGER NOT NULL,
            ephemeral INTEGER NOT NULL DEFAULT 0,
            swap INTEGER NOT NULL DEFAULT 0,
            is_public INTEGER NOT NULL DEFAULT 1,
            description TEXT
        )""",
        """CREATE TABLE compute_servers (
            id TEXT PRIMARY KEY,
            project_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            name TEXT NOT NULL,
            description TEXT,
            image_ref TEXT NOT NULL,
            image_meta TEXT NOT NULL,
            flavor TEXT NOT NULL,
            flavor_id TEXT NOT NULL,
            vm_state TEXT NOT NULL,
            task_state TEXT,
            power_state INTEGER NOT NULL DEFAULT 0,
            task_done_at TEXT,
            outcome TEXT,
            networks TEXT NOT NULL,
            addresses TEXT NOT NULL DEFAULT '{}',
            security_groups TEXT NOT NULL DEFAULT '[]',
            metadata TEXT NOT NULL DEFAULT '{}',
            tags TEXT NOT NULL DEFAULT '[]',
            key_name TEXT,
            availability_zone TEXT NOT NULL DEFAULT '',
            config_drive TEXT NOT NULL DEFAULT '',
            access_ipv4 TEXT NOT NULL DEFAULT '',
            access_ipv6 TEXT NOT NULL DEFAULT '',
            disk_config TEXT NOT NULL DEFAULT 'MANUAL',
            fault TEXT,
            launched_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_compute_servers_project ON compute_servers (project_id, created_at, id)",
        "CREATE INDEX idx_compute_servers_created ON compute_servers (created_at, id)",
        "CREATE INDEX idx_compute_servers_image ON compute_servers (image_ref)",
        "CREATE INDEX idx_compute_servers_task ON compute_servers (task_done_at)",
    ]
)
# 8: tasks (glance/db/sqlalchemy/models.py Task + TaskInfo): import tasks run in the
# background; the list API filters and sorts on these columns.
MIGRATIONS.append(
    [
        """CREATE TABLE tasks (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            status TEXT NOT NULL,
            owner TEXT,
            input TEXT,
            result TEXT,
            message TEXT NOT NULL DEFAULT '',
            expires_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            deleted_at TEXT,
            image_id TEXT,
            request_id TEXT,
            user_id TEXT
        )""",
        "CREATE INDEX idx_tasks_created_at ON tasks (deleted, created_at, id)",
        "CREATE INDEX idx_tasks_updated_at ON tasks (deleted, updated_at, id)",
        "CREATE INDEX idx_tasks_owner ON tasks (owner)",
        "CREATE INDEX idx_tasks_status ON tasks (status)",
        "CREATE INDEX idx_tasks_type ON tasks (type)",
        "CREATE INDEX idx_tasks_image_id ON tasks (image_id)",
        "CREATE INDEX idx_tasks_expires_at ON tasks (expires_at)",
    ]
)
# 9: the image cache's bookkeeping (glance/image_cache/drivers/centralized_db.py): the
# data itself stays in the store, which is local; only what Glance reports is kept.
MIGRATIONS.append(
    [
        """CREATE TABLE cached_images (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            image_id TEXT NOT NULL UNIQUE,
            last_accessed REAL NOT NULL,
            last_modified REAL NOT NULL,
            size INTEGER NOT NULL,
            hits INTEGER NOT NULL DEFAULT 0,
            checksum TEXT
        )""",
        """CREATE TABLE cache_queue (
            image_id TEXT PRIMARY KEY,
            queued_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_cache_queue_queued_at ON cache_queue (queued_at)",
    ]
)
# 10: which stores hold an image's data, with several stores (Glance keeps one
# location per store; the emulator's data file is shared, so only the store is noted).
MIGRATIONS.append(
    [
        """CREATE TABLE image_stores (
            image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
            store TEXT NOT NULL,
            PRIMARY KEY (image_id, store)
        )""",
        "CREATE INDEX idx_image_stores_store ON image_stores (store, image_id)",
    ]
)
# 11: Keystone unified limits set per project (a scenario's ``projects[].limits``);
# without one, the registered limit of the config applies.
MIGRATIONS.append(
    [
        """CREATE TABLE project_limits (
            project_id TEXT NOT NULL,
            resource TEXT NOT NULL,
            resource_limit INTEGER NOT NULL,
            PRIMARY KEY (project_id, resource)
        )""",
    ]
)
# 12: Glance keeps deleted images' rows (soft delete), and every list and filter asks for
# ``deleted = 0``. Indexes over all rows made a walk in sort order step over every deleted
# image newer than the page: after a test suite made and deleted 1,000 images, a project's
# list cost 1.3x the CPU. Each listing index now holds live rows only (a partial index,
# which SQLite uses when the query says ``deleted = 0``); lookups by id keep the primary key.
_LIVE_INDEXES = {
    "idx_images_name": "name",
    "idx_images_status": "status",
    "idx_images_created_at": "created_at, id",
    "idx_images_updated_at": "updated_at, id",
    "idx_images_size": "size",
    "idx_images_disk_format": "disk_format",
    "idx_images_container_format": "container_format",
    "idx_images_checksum": "checksum",
    "idx_images_os_hash_value": "os_hash_value",
    "idx_images_protected": "protected",
    "idx_images_visibility_created": "visibility, created_at, id",
    "idx_images_owner_created": "owner, created_at, id",
    "idx_images_owner_visibility": "owner, visibility, created_at, id",
}
MIGRATIONS.append(
    [
        statement
        for name, columns in _LIVE_INDEXES.items()
        for statement in (
            f"DROP INDEX {name}",
            f"CREATE INDEX {name} ON images ({columns}) WHERE deleted = 0",
        )
    ]
)
