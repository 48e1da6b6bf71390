with source as (select * from {{ source('raw', 'merchants') }})
select
    cast(merchant_id as number(38,0)) as merchant_id,
    name as merchant_name,
    cast(mcc as varchar) as mcc,
    upper(country) as country_code,
    cast(onboarded_at as timestamp_ntz) as onboarded_at
from source
